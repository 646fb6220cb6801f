export * from './research-access';
export * from './research-notebook';
export * from './research-studio';
