// `npm run sizing -- --gpus 64 --samples-per-second 1200 --bytes-per-sample 110000 --dataset-gib 4000`
import { runSizingCli } from '../lib/storage/private/sizing-cli';

process.exitCode = runSizingCli(process.argv.slice(2), (s) => console.log(s), (s) => console.error(s));
