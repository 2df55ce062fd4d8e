"""HubSpot workflow custom action "Add contact to Zoom webinar" (issue 5).

- `requests`: reading HubSpot's execution request and normalising the webinar ID;
- `outcomes`: the answers (SUCCESS / FAIL_CONTINUE output fields, 429 Retry-After) and how Zoom's
  errors become them;
- `executions`: taking each callbackId once (claim, retake after a 429, replay answers);
- `registration`: the service that registers the contact and records the outcome;
- `definition`: the action definition HubSpot is given (`manage.py hubspot_action_definition`);
- `views`: POST /hubspot/actions/add-to-webinar/ (signature first, then the service).
"""
