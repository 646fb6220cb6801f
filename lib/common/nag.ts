import { Stack, Token, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Flattens a resolved CloudFormation value the way cdk-nag does for its finding IDs
 * (`Resource::<Bucket.Arn>/prefix/*`), so that an acknowledgement names the exact finding.
 */
export function flattenCfnValue(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfnValue).join(delimiter);
    }
    if (o['Fn::Sub']) return flattenCfnValue(o['Fn::Sub']);
    if (o['Fn::GetAtt']) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnValue(resource)}.${flattenCfnValue(attribute)}>`;
    }
    if (o['Fn::ImportValue']) return flattenCfnValue(o['Fn::ImportValue']);
    if (o.Ref) return `<${flattenCfnValue(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * Acknowledges cdk-nag's `AwsSolutions-IAM5` finding for specific wildcard resources (for example
 * `${bucket.bucketArn}/datasets/*`) on a principal's policies.
 *
 * Finding IDs contain the resource as the policy's own stack renders it, which for a resource
 * from another stack is only known once cross-stack references are resolved. The acknowledgement is
 * therefore recorded in the validation phase of synthesis, which runs after references are resolved
 * and before policy-validation plugins such as cdk-nag.
 */
export function acknowledgeWildcardResources(principal: IConstruct, resources: string[], reason: string): void {
  principal.node.addValidation({
    validate: () => {
      const stack = Stack.of(principal);
      for (const resource of resources) {
        const flat = flattenCfnValue(stack.resolve(resource));
        Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
      }
      return [];
    },
  });
}

/** Whether a grantee's principal is a construct in this app (a role or user we can annotate). */
export function principalConstruct(grantee: { readonly grantPrincipal: unknown }): IConstruct | undefined {
  const principal = grantee.grantPrincipal as Partial<IConstruct> | undefined;
  return principal && typeof principal === 'object' && 'node' in principal && !Token.isUnresolved(principal)
    ? (principal as IConstruct)
    : undefined;
}

/**
 * Acknowledges a rule of both regulated cdk-nag packs, NIST 800-53 R5 and HIPAA Security, which share
 * their rule names (`NIST.800.53.R5-IAMNoInlinePolicy`, `HIPAA.Security-IAMNoInlinePolicy`).
 */
export function acknowledgeRegulatedRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `NIST.800.53.R5-${rule}`, reason }, { id: `HIPAA.Security-${rule}`, reason });
}

/** Acknowledges a finding of the Control Tower proactive controls (cfn-guard) by its guard rule name. */
export function acknowledgeControlTowerRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `cdk-validator-cfnguard::${rule}`, reason });
}

/**
 * Acknowledges NIST/HIPAA `IAMNoInlinePolicy` on a role (and its default policy) or a policy that
 * the library creates for one role.
 */
export function acknowledgeInlinePolicy(scope: IConstruct): void {
  acknowledgeRegulatedRule(
    scope,
    'IAMNoInlinePolicy',
    'aws-cdk-lib grants (grantRead, addToPolicy) write least-privilege statements into a policy attached to this one role, created and deleted with it; a customer-managed policy would add a separately attachable copy of the same statements and no control.',
  );
}

/**
 * Acknowledges a Control Tower finding on a property that the construct does set, to a value from
 * another stack: cfn-guard reads one template at a time and cannot resolve a cross-stack reference
 * (`Fn::GetStackOutput`, `Fn::ImportValue`), so it reports the property as missing.
 */
export function acknowledgeCrossStackReference(scope: IConstruct, rule: string, what: string): void {
  acknowledgeControlTowerRule(
    scope,
    rule,
    `${what} is set, to a value from another stack; cfn-guard checks one template at a time and cannot resolve the cross-stack reference.`,
  );
}
