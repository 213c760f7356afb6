"""What the Hark services share: event contracts, table models, AWS adapters, settings and observability.

`shared` never imports a service. Nothing here reads the environment or builds an AWS client at import time.
"""
