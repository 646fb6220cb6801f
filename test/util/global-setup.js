// Bundles the Lambda handlers before any test synthesizes a stack, so that tests never see a bundle
// older than its source (about 1 s).
module.exports = async () => {
  const { bundleRuntimes } = await import('../../scripts/bundle-runtimes.mjs');
  await bundleRuntimes({ quiet: true });
};
