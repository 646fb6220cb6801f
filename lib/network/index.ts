export * from './ml-vpc';
