export { MlAtScaleError } from './errors';
