/**
 * Test helpers for Step Functions definitions written in JSONata: read the definition out of a
 * template, and evaluate its `{% ... %}` expressions with the real `jsonata` library, so that tests
 * check what a Choice state decides and what a task sends, not only the text.
 */
import { Template } from 'aws-cdk-lib/assertions';
import jsonata from 'jsonata';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Definition = { StartAt: string; States: Record<string, any>; [key: string]: any };

/** Renders a CloudFormation token the way tests name it: `Ref` as the logical ID, `GetAtt` as `Id.Attr`. */
function renderToken(token: any): string {
  if (token.Ref === 'AWS::Partition') return 'aws';
  if (token.Ref === 'AWS::Region') return 'us-east-1';
  if (token.Ref === 'AWS::AccountId') return '123456789012';
  if (token.Ref) return String(token.Ref);
  if (token['Fn::GetAtt']) return token['Fn::GetAtt'].join('.');
  // A weak cross-stack reference: name it by the producing stack's output, which holds the logical ID.
  if (token['Fn::GetStackOutput']) return String(token['Fn::GetStackOutput'].OutputName);
  return 'TOKEN';
}

/** The definition of the state machine with the given logical ID (or the only one), tokens rendered. */
export function definitionOf(template: Template, logicalId?: string): Definition {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const id = logicalId ?? Object.keys(machines)[0];
  const body = machines[id].Properties.DefinitionString;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as any[]).map((p) => (typeof p === 'string' ? p : renderToken(p))).join('');
  return JSON.parse(text) as Definition;
}

/** Evaluates one `{% expr %}` string with `$states` and workflow variables bound. */
export async function evaluate(expression: string, states: Record<string, unknown>, variables: Record<string, unknown> = {}): Promise<any> {
  const match = /^\{%([\s\S]*)%\}$/.exec(expression.trim());
  if (!match) return expression;
  return jsonata(match[1]).evaluate({}, { ...variables, states: { context: CONTEXT, ...states } });
}

/** Evaluates every `{% %}` string inside a value (an Arguments block, an Assign block). */
export async function evaluateAll(value: any, states: Record<string, unknown>, variables: Record<string, unknown> = {}): Promise<any> {
  if (typeof value === 'string') return evaluate(value, states, variables);
  if (Array.isArray(value)) return Promise.all(value.map((v) => evaluateAll(v, states, variables)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await evaluateAll(v, states, variables);
    return out;
  }
  return value;
}

/** The state a Choice state goes to for an input. */
export async function choose(state: any, input: unknown, variables: Record<string, unknown> = {}): Promise<string> {
  for (const rule of state.Choices) {
    if ((await evaluate(rule.Condition, { input }, variables)) === true) return rule.Next;
  }
  return state.Default;
}

/** The context object that `$states.context` gives in tests. */
export const CONTEXT = {
  Execution: {
    Id: 'arn:aws:states:us-east-1:123456789012:execution:Pipeline:run 1',
    Name: 'run 1: nightly',
  },
};

/** The states reached from `StartAt` by following Next/Default/Choices/Catch, in first-visit order. */
export function reachableStates(definition: Definition): string[] {
  const seen: string[] = [];
  const visit = (name: string) => {
    if (!name || seen.includes(name)) return;
    seen.push(name);
    const s = definition.States[name];
    if (s.Next) visit(s.Next);
    for (const c of s.Choices ?? []) visit(c.Next);
    if (s.Default) visit(s.Default);
    for (const c of s.Catch ?? []) visit(c.Next);
  };
  visit(definition.StartAt);
  return seen;
}
