// Schema validation costs about 3 s per template; unit tests switch it off unless a file asks for it.
process.env.CDK_VALIDATION ??= 'false';
