"""classify: reads mentions from SQS in batches, analyses them (local models first, Amazon Comprehend where it
adds value), decides whether a human must respond and how urgently, stores the result and forwards the ones that
need a human to the respond queue."""
