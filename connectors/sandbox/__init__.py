"""The sandbox: stateful fakes of the Zoom, HubSpot and Salesforce APIs that Meetbridge calls.

Each vendor's fake lives in its provider package (`connectors/<key>/sandbox.py`) and is a plain
Python object (`VendorFake`) turning a `SandboxRequest` into a `SandboxResponse`. The same objects
serve the test suite in-process through `responses` (`connectors.sandbox.testing`) and the demo
and benchmarks over HTTP (`manage.py sandbox`, `connectors.sandbox.server`).
"""
