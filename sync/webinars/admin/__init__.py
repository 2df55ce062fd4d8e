"""The webinar sync's admin screens: settings, webinars, audit, ledger."""
