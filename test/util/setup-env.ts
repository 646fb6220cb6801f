// Schema validation costs about 3 s per template; unit tests switch it off unless a file asks for it.
process.env.CDK_VALIDATION ??= 'false';
// The AWS SDK warns once per process that its 2027 releases need Node 22; tests assert on their own
// output only (engines and the Node decision are the release issue's).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
