/**
 * Shape (c): one lake stack shared by two team stacks, each with its own cluster and its own prefixes.
 */
import { Stack } from 'aws-cdk-lib';
import { DataLake } from 'cdk-ml-at-scale';
import { teamApp } from '../lib/synth.js';
import { TeamTrainingStack } from '../lib/team-training-stack.js';

const app = teamApp();
const lakeStack = new Stack(app, 'Platform-Lake');
const lake = new DataLake(lakeStack, 'Lake');

new TeamTrainingStack(app, 'Vision-Training', { lake, prefix: 'teams/vision', gpuInstanceTypes: ['p4d.24xlarge'] });
new TeamTrainingStack(app, 'Speech-Training', { lake, prefix: 'teams/speech', gpuInstanceTypes: ['p5.48xlarge'] });

app.synth();
