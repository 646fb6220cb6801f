import { AppliedValueSource, QuotaNeed, QuotaNeeds } from './quota-needs';

/** How a need compares with what the account has. */
export enum QuotaStatus {
  /** The applied value covers the need, at the app's maximum too. */
  OK = 'ok',
  /** The applied value covers the deploy and a first run, but not the app's configured maximum. */
  BELOW_MAXIMUM = 'below-max',
  /** The applied value is below the need: the deploy fails, or the first run waits or throttles. */
  SHORT = 'short',
  /** The applied value could not be read. */
  UNKNOWN = 'unknown',
}

/** One need, compared with the account. */
export interface QuotaCheck {
  /** What the app needs. */
  readonly need: QuotaNeed;
  /**
   * The value that applies to the account.
   * @default - not read
   */
  readonly applied?: number;
  /**
   * Where `applied` came from: `applied`, `AWS default` or `GetAccountSettings`.
   * @default - not read
   */
  readonly appliedFrom?: string;
  /** The comparison. */
  readonly status: QuotaStatus;
  /**
   * The quota code, when the need named the quota only (found by name).
   * @default - the need's code
   */
  readonly quotaCode?: string;
  /**
   * The AWS CLI command that requests the increase (preflight never runs it).
   * @default - none: nothing to request, or the quota is not adjustable
   */
  readonly requestCommand?: string;
  /**
   * Why the status is what it is, when that needs saying.
   * @default - none
   */
  readonly note?: string;
}

/** Needs compared with an account. */
export interface PreflightReport {
  /** What the app needs. */
  readonly needs: QuotaNeeds;
  /**
   * The Region compared.
   * @default - not known
   */
  readonly region?: string;
  /** Each need with its comparison. */
  readonly checks: QuotaCheck[];
  /** Whether every need was compared with the account. */
  readonly compared: boolean;
  /** What could not be read, and why. */
  readonly problems: string[];
}

/** Options of {@link checkQuotas}. */
export interface QuotaCheckOptions {
  /**
   * The Region to compare in.
   * @default - the stacks' Region, else `AWS_REGION`, `AWS_DEFAULT_REGION` or the AWS profile's
   */
  readonly region?: string;
  /**
   * Attempts per AWS call, counting the first; the SDK retries throttling with backoff.
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * Compare nothing: print what the app needs.
   * @default false
   */
  readonly offline?: boolean;
}

interface Applied {
  readonly value: number;
  readonly from: string;
  readonly quotaCode?: string;
}

class ReadError extends Error {
  constructor(
    message: string,
    /** No other call can succeed either (no credentials, no Region, no network). */
    public readonly fatal: boolean,
  ) {
    super(message);
  }
}

const READ_PERMISSIONS = 'servicequotas:ListServiceQuotas, servicequotas:ListAWSDefaultServiceQuotas and lambda:GetAccountSettings';

/**
 * Compares what an app needs with the quotas of the account that the AWS credentials belong to. It reads
 * only: Service Quotas' ListServiceQuotas and ListAWSDefaultServiceQuotas, and Lambda's GetAccountSettings.
 * It never requests an increase; each shortfall comes with the command that would.
 *
 * Without credentials, Region or network, every check is `UNKNOWN` and `problems` says why.
 */
export async function checkQuotas(needs: QuotaNeeds, options: QuotaCheckOptions = {}): Promise<PreflightReport> {
  const region = options.region ?? needs.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (options.offline) {
    return report(needs, region, new Map(), ['offline: nothing was read from AWS']);
  }
  const problems: string[] = [];
  const applied = new Map<QuotaNeed, Applied>();
  let lambdaLimit: number | undefined;
  let fatal = false;
  const attempt = async (read: () => Promise<void>) => {
    if (fatal) return;
    try {
      await read();
    } catch (err) {
      const e = err instanceof ReadError ? err : new ReadError(String(err), false);
      if (!problems.includes(e.message)) problems.push(e.message);
      fatal = e.fatal;
    }
  };

  const clientConfig = { region, maxAttempts: options.maxAttempts ?? 5 };
  const sqNeeds = needs.needs.filter((n) => n.appliedValueSource === AppliedValueSource.SERVICE_QUOTAS);
  const lambdaNeeds = needs.needs.filter((n) => n.appliedValueSource !== AppliedValueSource.SERVICE_QUOTAS);

  if (sqNeeds.length) {
    const sq = await sdkClient(() => import('@aws-sdk/client-service-quotas'), '@aws-sdk/client-service-quotas');
    const client = new sq.ServiceQuotasClient(clientConfig);
    try {
      for (const service of [...new Set(sqNeeds.map((n) => n.serviceCode))]) {
        await attempt(async () => {
          const wanted = sqNeeds.filter((n) => n.serviceCode === service);
          const list = async (kind: 'applied' | 'AWS default') => {
            const found: { code: string; name: string; value: number }[] = [];
            const call = kind === 'applied' ? 'ListServiceQuotas' : 'ListAWSDefaultServiceQuotas';
            try {
              const pages =
                kind === 'applied'
                  ? sq.paginateListServiceQuotas({ client, pageSize: 100 }, { ServiceCode: service })
                  : sq.paginateListAWSDefaultServiceQuotas({ client, pageSize: 100 }, { ServiceCode: service });
              for await (const page of pages) {
                for (const quota of page.Quotas ?? []) {
                  if (quota.QuotaCode && quota.Value !== undefined) found.push({ code: quota.QuotaCode, name: quota.QuotaName ?? '', value: quota.Value });
                }
              }
            } catch (err) {
              throw explain(err, `servicequotas:${call} for ${service}`);
            }
            return found;
          };
          const match = (quotas: { code: string; name: string; value: number }[], need: QuotaNeed) =>
            quotas.find((q) => (need.quotaCode ? q.code === need.quotaCode : q.name.toLowerCase() === need.quotaName.toLowerCase()));
          const appliedList = await list('applied');
          for (const need of wanted) {
            const q = match(appliedList, need);
            if (q) applied.set(need, { value: q.value, from: 'applied', quotaCode: q.code });
          }
          // ListServiceQuotas leaves out quotas whose value was never changed; the AWS default applies to those.
          if (wanted.some((n) => !applied.has(n))) {
            const defaults = await list('AWS default');
            for (const need of wanted.filter((n) => !applied.has(n))) {
              const q = match(defaults, need);
              if (q) applied.set(need, { value: q.value, from: 'AWS default', quotaCode: q.code });
            }
          }
        });
      }
    } finally {
      client.destroy();
    }
  }

  if (lambdaNeeds.length) {
    await attempt(async () => {
      const lambda = await sdkClient(() => import('@aws-sdk/client-lambda'), '@aws-sdk/client-lambda');
      const client = new lambda.LambdaClient(clientConfig);
      try {
        const settings = await client.send(new lambda.GetAccountSettingsCommand({})).catch((err: unknown) => {
          throw explain(err, 'lambda:GetAccountSettings');
        });
        const limit = settings.AccountLimit;
        for (const need of lambdaNeeds) {
          const value = need.appliedValueSource === AppliedValueSource.LAMBDA_ACCOUNT_CONCURRENCY ? limit?.ConcurrentExecutions : limit?.UnreservedConcurrentExecutions;
          if (value !== undefined) applied.set(need, { value, from: 'GetAccountSettings' });
        }
        lambdaLimit = limit?.ConcurrentExecutions;
      } finally {
        client.destroy();
      }
    });
  }
  return report(needs, region, applied, problems, lambdaLimit);
}

/** `lambdaLimit`: the account's Lambda concurrency, from which a command raising unreserved concurrency starts. */
function report(needs: QuotaNeeds, region: string | undefined, applied: Map<QuotaNeed, Applied>, problems: string[], lambdaLimit?: number): PreflightReport {
  const regionFlag = region ? ` --region ${region}` : '';
  const checks = needs.needs.map((need): QuotaCheck => {
    const a = applied.get(need);
    const quotaCode = need.quotaCode ?? a?.quotaCode;
    if (!a) {
      const note = problems.length ? undefined : 'not found in Service Quotas for this Region';
      return { need, status: QuotaStatus.UNKNOWN, quotaCode, note };
    }
    const command = (desired: number) =>
      need.adjustable && quotaCode
        ? `aws service-quotas request-service-quota-increase --service-code ${need.serviceCode} --quota-code ${quotaCode} --desired-value ${desired}${regionFlag}`
        : undefined;
    const base = { need, applied: a.value, appliedFrom: a.from, quotaCode };
    if (a.value < need.needed) {
      let desired = need.needed;
      let note: string | undefined;
      if (need.appliedValueSource === AppliedValueSource.LAMBDA_UNRESERVED_CONCURRENCY) {
        // Unreserved concurrency grows with the account's limit.
        desired = (lambdaLimit ?? a.value) + (need.needed - a.value);
        note = 'other functions in the Region already reserve part of the limit';
      }
      if (!need.adjustable) note = 'not adjustable: remove resources of this kind from the Region, or use another Region or account';
      return { ...base, status: QuotaStatus.SHORT, requestCommand: command(desired), note };
    }
    if (need.neededAtMaximum !== undefined && a.value < need.neededAtMaximum) {
      return {
        ...base,
        status: QuotaStatus.BELOW_MAXIMUM,
        requestCommand: command(need.neededAtMaximum),
        note: `enough for a first run; the app can scale to ${need.neededAtMaximum}`,
      };
    }
    return { ...base, status: QuotaStatus.OK };
  });
  return {
    needs,
    region,
    checks,
    compared: checks.every((c) => c.status !== QuotaStatus.UNKNOWN) && problems.length === 0,
    problems,
  };
}

/** Turns an SDK error into a message that says what to do. */
function explain(err: unknown, call: string): ReadError {
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; Code?: string };
  const name = e.name ?? e.Code ?? 'Error';
  const message = e.message ?? String(err);
  const code = e.code ?? '';
  if (name === 'CredentialsProviderError' || /could not load credentials|credentials? (is|are) missing/i.test(message)) {
    return new ReadError(`No AWS credentials found (${message}). Configure credentials (AWS_PROFILE, \`aws sso login\`, environment variables) to compare.`, true);
  }
  if (/region is missing/i.test(message)) {
    return new ReadError('No AWS Region: pass --region, set AWS_REGION, or give the stacks an environment.', true);
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidSignatureException'].includes(name)) {
    return new ReadError(`AWS rejected the credentials (${name}: ${message}). Refresh them and run preflight again.`, true);
  }
  if (['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException'].includes(name)) {
    return new ReadError(`Access denied to ${call} (${name}). Preflight needs read-only ${READ_PERMISSIONS}.`, false);
  }
  if (['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded'].includes(name)) {
    return new ReadError(`AWS throttled ${call} (${name}) even after the SDK's retries. Wait a minute and run preflight again, or pass a higher --max-attempts.`, false);
  }
  if (['ENOTFOUND', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH'].includes(code) || name === 'TimeoutError') {
    return new ReadError(`Could not reach AWS for ${call} (${code || name}: ${message}). Check the network or proxy.`, true);
  }
  return new ReadError(`${call} failed (${name}: ${message}).`, false);
}

/**
 * Loads an AWS SDK client that the check needs. They are optional peer dependencies of the package, so
 * that a team that only synthesizes installs no SDK; a missing one gets an error that says what to install.
 */
async function sdkClient<T>(load: () => Promise<T>, name: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND' || /Cannot find module/.test(String(err))) {
      throw new Error(
        `The quota check needs ${name} (an optional peer dependency): npm install @aws-sdk/client-service-quotas @aws-sdk/client-lambda`,
      );
    }
    throw err;
  }
}
