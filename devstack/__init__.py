"""The embedded local stack behind `hark up`: an AWS emulator (moto server), the resources created from
`shared.resources`, the services run the way Lambda runs them (an API Gateway-style HTTP front for the Chalice
apps, SQS event-source mappings for the consumers), a demo stream and a console feed."""
