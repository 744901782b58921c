// THE table of how capctl's declarations (SPEC §3) and Salesforce metadata name the same thing:
// every managed field, the file and element it lives in, and how the values map. Import reads
// through it, export writes through it, the README summarises it. Everything in a metadata file
// that this table does not name is never read into a declaration and never written by export.
import type { MetadataFileKind } from './metadata-types.js';

/** Texts of the child elements named `element` under a row's host element, in order. */
export type ElementTexts = (element: string) => string[];

/** A value read from metadata, or why it could not be. Neither: the file does not say. */
export interface Decoded<V> {
  value?: V;
  problem?: string;
}

/** How one field's values map between the SPEC and metadata elements. */
export interface Codec<V> {
  /** The value mapping in words (`true ↔ admin-approved`), for people. */
  values: string;
  /** Repeated elements (one per list item) rather than one element. */
  repeated: boolean;
  decode(texts: ElementTexts): Decoded<V>;
  /** The texts each element must hold for `value`; null removes the element. */
  encode(value: V): Record<string, string[] | null>;
}

/** One row of the table. */
export interface FieldMapping {
  /** The field of the declaration, as a dotted path (`policies.permittedUsers`). */
  spec: string;
  /** The metadata type (root element) that holds it. */
  metadataType: MetadataFileKind;
  /** The element the value lives in, as a path from the root (`oauthConfig/isAdminApproved`). */
  element: string;
  /** Other places import also accepts the element in (older API versions). */
  alsoAt?: string[];
  /** The other elements that belong to the same value (read with it, rewritten or removed with it). */
  companions?: string[];
  /** How the values map; absent for the rows export and import handle by hand (installed). */
  codec?: Codec<unknown>;
  note?: string;
}

function first(texts: string[]): string | undefined {
  return texts.find((t) => t !== '');
}

/** A closed set of values, `[spec, metadata]` pairs; metadata values are read case-insensitively. */
export function enumCodec<V extends string | boolean>(element: string, pairs: readonly (readonly [V, string])[]): Codec<V> {
  return {
    values: pairs.map(([spec, meta]) => `${meta} ↔ ${String(spec)}`).join(', '),
    repeated: false,
    decode(texts) {
      const raw = first(texts(element));
      if (raw === undefined) return {};
      const pair = pairs.find(([, meta]) => meta.toLowerCase() === raw.toLowerCase());
      return pair ? { value: pair[0] } : { problem: `${element} "${raw}" is none of ${pairs.map(([, m]) => m).join(', ')}` };
    },
    encode: (value) => ({ [element]: [pairs.find(([spec]) => spec === value)![1]] }),
  };
}

/** A boolean element with the same sense as the SPEC field. */
export function booleanElement(element: string): Codec<boolean> {
  return enumCodec<boolean>(element, [
    [true, 'true'],
    [false, 'false'],
  ]);
}

/** A list as one element per item (`<profileName>A</profileName><profileName>B</profileName>`). */
export function repeatedElement(element: string): Codec<string[]> {
  return {
    values: `one <${element}> per name`,
    repeated: true,
    decode(texts) {
      const names = [...new Set(texts(element).filter((t) => t !== ''))];
      return names.length === 0 ? {} : { value: names };
    },
    encode: (value) => ({ [element]: value }),
  };
}

/** A list as one comma-separated element (`<commaSeparatedProfile>A,B</commaSeparatedProfile>`). */
export function commaSeparatedElement(element: string): Codec<string[]> {
  return {
    values: 'names separated by commas',
    repeated: false,
    decode(texts) {
      const raw = first(texts(element));
      if (raw === undefined) return {};
      const names = [
        ...new Set(
          raw
            .split(',')
            .map((n) => n.trim())
            .filter((n) => n !== ''),
        ),
      ];
      return names.length === 0 ? {} : { value: names };
    },
    encode: (value) => ({ [element]: value.length === 0 ? null : [value.join(',')] }),
  };
}

/** Plain text, unchanged. */
export function textElement(element: string): Codec<string> {
  return {
    values: 'the text as is',
    repeated: false,
    decode(texts) {
      const raw = first(texts(element));
      return raw === undefined ? {} : { value: raw };
    },
    encode: (value) => ({ [element]: [value] }),
  };
}

/** A refresh token policy's time unit, as the SPEC spells it. */
type RefreshUnit = 'HOURS' | 'DAYS' | 'MONTHS';
const specificPolicy = /^(specific_lifetime|specific_inactivity):([1-9][0-9]{0,3}):(HOURS|DAYS|MONTHS)$/;

/** Parses a SPEC refresh token policy into its parts. */
export function refreshPolicyParts(value: string): { head: 'infinite' | 'zero' } | { head: 'specific_lifetime' | 'specific_inactivity'; period: number; unit: RefreshUnit } | undefined {
  if (value === 'infinite' || value === 'zero') return { head: value };
  const match = specificPolicy.exec(value);
  if (!match) return undefined;
  return { head: match[1] as 'specific_lifetime' | 'specific_inactivity', period: Number(match[2]), unit: match[3] as RefreshUnit };
}

function specificValue(head: string, periodText: string | undefined, unitText: string | undefined): Decoded<string> {
  const unit = unitText?.toUpperCase();
  const value = `${head}:${periodText ?? ''}:${unit ?? ''}`;
  if (periodText === undefined || unit === undefined) return { problem: `${head} without its period and unit` };
  return specificPolicy.test(value) ? { value } : { problem: `${head} with period "${periodText}" and unit "${unitText}" is not N (1-9999) HOURS, DAYS or MONTHS` };
}

/**
 * ConnectedApp `oauthPolicy/refreshTokenPolicy`: the SPEC spelling itself (`infinite`, `zero`,
 * `specific_lifetime:90:DAYS`). Read also: the head alone with `refreshTokenValidityPeriod` and
 * `refreshTokenValidityUnit(s)` beside it, any letter case. Written: the one-element form.
 */
export const connectedAppRefreshCodec: Codec<string> = {
  values: 'infinite, zero, specific_lifetime:N:UNIT, specific_inactivity:N:UNIT (same spelling)',
  repeated: false,
  decode(texts) {
    const raw = first(texts('refreshTokenPolicy'));
    if (raw === undefined) return {};
    const lower = raw.toLowerCase();
    if (lower === 'infinite' || lower === 'zero') return { value: lower };
    const [head, period, unit, ...rest] = lower.split(':');
    if ((head === 'specific_lifetime' || head === 'specific_inactivity') && rest.length === 0) {
      if (period !== undefined) return specificValue(head, period, unit);
      return specificValue(head, first(texts('refreshTokenValidityPeriod')), first(texts('refreshTokenValidityUnit')) ?? first(texts('refreshTokenValidityUnits')));
    }
    return { problem: `refreshTokenPolicy "${raw}" is none of infinite, zero, specific_lifetime:N:UNIT, specific_inactivity:N:UNIT` };
  },
  encode: (value) => ({ refreshTokenPolicy: [value], refreshTokenValidityPeriod: null, refreshTokenValidityUnit: null, refreshTokenValidityUnits: null }),
};

const ecaRefreshTypes = [
  ['infinite', 'Infinite'],
  ['zero', 'Zero'],
  ['specific_lifetime', 'SpecificLifetime'],
  ['specific_inactivity', 'SpecificInactivity'],
] as const;
const ecaUnits = [
  ['HOURS', 'Hours'],
  ['DAYS', 'Days'],
  ['MONTHS', 'Months'],
] as const;

/** ExtlClntAppOauthConfigurablePolicies `refreshTokenPolicyType` with `refreshTokenValidityPeriod` and `refreshTokenValidityUnit`. */
export const externalClientAppRefreshCodec: Codec<string> = {
  values: 'Infinite ↔ infinite, Zero ↔ zero, SpecificLifetime + period + unit ↔ specific_lifetime:N:UNIT, SpecificInactivity + period + unit ↔ specific_inactivity:N:UNIT (Hours|Days|Months ↔ HOURS|DAYS|MONTHS)',
  repeated: false,
  decode(texts) {
    const raw = first(texts('refreshTokenPolicyType'));
    if (raw === undefined) return {};
    const type = ecaRefreshTypes.find(([, meta]) => meta.toLowerCase() === raw.toLowerCase());
    if (!type) return { problem: `refreshTokenPolicyType "${raw}" is none of ${ecaRefreshTypes.map(([, m]) => m).join(', ')}` };
    if (type[0] === 'infinite' || type[0] === 'zero') return { value: type[0] };
    return specificValue(type[0], first(texts('refreshTokenValidityPeriod')), first(texts('refreshTokenValidityUnit')));
  },
  encode(value) {
    const parts = refreshPolicyParts(value as string)!;
    const type = ecaRefreshTypes.find(([spec]) => spec === parts.head)![1];
    if (!('period' in parts)) return { refreshTokenPolicyType: [type], refreshTokenValidityPeriod: null, refreshTokenValidityUnit: null };
    return {
      refreshTokenPolicyType: [type],
      refreshTokenValidityPeriod: [String(parts.period)],
      refreshTokenValidityUnit: [ecaUnits.find(([spec]) => spec === parts.unit)![1]],
    };
  },
};

const ipRelaxations = ['ENFORCE', 'BYPASS_2FACTOR', 'BYPASS', 'ENFORCE_RELAXREFRESH'] as const;

/**
 * The mapping. A row's `element` path starts at the root element of its metadata type; `codec`
 * works on the children of the element's parent (its "host": the root, `oauthConfig`, …).
 */
export const fieldMap: readonly FieldMapping[] = [
  // --- ConnectedApp: connectedApps/<FullName>.connectedApp-meta.xml ---
  { spec: 'name', metadataType: 'ConnectedApp', element: 'label', codec: textElement('label'), note: 'the app is found by its label; written only when export creates the file' },
  { spec: 'installed', metadataType: 'ConnectedApp', element: '(the file itself)', note: 'an app whose metadata is in the tree (with oauthConfig or oauthPolicy) is installed: true; export never uninstalls' },
  {
    spec: 'policies.permittedUsers',
    metadataType: 'ConnectedApp',
    element: 'oauthConfig/isAdminApproved',
    codec: enumCodec('isAdminApproved', [
      ['admin-approved', 'true'],
      ['all-users', 'false'],
    ]),
  },
  { spec: 'policies.profiles', metadataType: 'ConnectedApp', element: 'profileName', alsoAt: ['oauthConfig/profileName'], codec: repeatedElement('profileName') },
  {
    spec: 'policies.permissionSets',
    metadataType: 'ConnectedApp',
    element: 'permissionSetName',
    alsoAt: ['oauthConfig/permissionSetName'],
    codec: repeatedElement('permissionSetName'),
  },
  {
    spec: 'policies.ipRelaxation',
    metadataType: 'ConnectedApp',
    element: 'oauthPolicy/ipRelaxation',
    codec: enumCodec(
      'ipRelaxation',
      ipRelaxations.map((v) => [v, v] as const),
    ),
  },
  {
    spec: 'policies.refreshTokenPolicy',
    metadataType: 'ConnectedApp',
    element: 'oauthPolicy/refreshTokenPolicy',
    companions: ['oauthPolicy/refreshTokenValidityPeriod', 'oauthPolicy/refreshTokenValidityUnit', 'oauthPolicy/refreshTokenValidityUnits'],
    codec: connectedAppRefreshCodec,
  },

  // --- External client app: externalClientApps/<FullName>.eca-meta.xml and
  //     extlClntAppOauthPolicies/<FullName>_oauthPlcy.ecaOauthPlcy-meta.xml (which names the app
  //     by its full name in <externalClientApplication>) ---
  { spec: 'name', metadataType: 'ExternalClientApplication', element: 'label', codec: textElement('label'), note: 'kind: ExternalClientApp' },
  {
    spec: 'policies.permittedUsers',
    metadataType: 'ExtlClntAppOauthConfigurablePolicies',
    element: 'permittedUsersPolicyType',
    codec: enumCodec('permittedUsersPolicyType', [
      ['admin-approved', 'AdminApprovedPreAuthorized'],
      ['all-users', 'AllSelfAuthorized'],
    ]),
  },
  { spec: 'policies.profiles', metadataType: 'ExtlClntAppOauthConfigurablePolicies', element: 'commaSeparatedProfile', codec: commaSeparatedElement('commaSeparatedProfile') },
  {
    spec: 'policies.permissionSets',
    metadataType: 'ExtlClntAppOauthConfigurablePolicies',
    element: 'commaSeparatedPermissionSet',
    codec: commaSeparatedElement('commaSeparatedPermissionSet'),
  },
  {
    spec: 'policies.ipRelaxation',
    metadataType: 'ExtlClntAppOauthConfigurablePolicies',
    element: 'ipRelaxationPolicyType',
    codec: enumCodec('ipRelaxationPolicyType', [
      ['ENFORCE', 'Enforce'],
      ['BYPASS_2FACTOR', 'Bypass_2factor'],
      ['BYPASS', 'Bypass'],
      ['ENFORCE_RELAXREFRESH', 'Enforce_RelaxRefresh'],
    ]),
  },
  {
    spec: 'policies.refreshTokenPolicy',
    metadataType: 'ExtlClntAppOauthConfigurablePolicies',
    element: 'refreshTokenPolicyType',
    companions: ['refreshTokenValidityPeriod', 'refreshTokenValidityUnit'],
    codec: externalClientAppRefreshCodec,
  },

  // --- Blocked apps: blacklistedConsumers/<FullName>.blacklistedConsumer-meta.xml ---
  {
    spec: 'blocked',
    metadataType: 'BlacklistedConsumer',
    element: 'consumerName',
    companions: ['blockedByApiWhitelisting'],
    codec: textElement('consumerName'),
    note: 'a file naming the app (by its label) → blocked: true; not when blockedByApiWhitelisting is true (that block is allowlisting\'s: export sets it to false for a declared block); export creates one per blocked app, without a consumerKey, and never deletes one',
  },

  // --- Org settings: settings/ConnectedApp.settings-meta.xml, settings/OauthOidc.settings-meta.xml ---
  { spec: 'adminApprovedAppsOnly', metadataType: 'ConnectedAppSettings', element: 'enableAdminApprovedAppsOnly', codec: booleanElement('enableAdminApprovedAppsOnly') },
  { spec: 'oauthFlows.blockUsernamePassword', metadataType: 'OauthOidcSettings', element: 'blockOAuthUnPwFlow', codec: booleanElement('blockOAuthUnPwFlow') },
  { spec: 'oauthFlows.blockUserAgent', metadataType: 'OauthOidcSettings', element: 'blockOAuthUsrAgtFlow', codec: booleanElement('blockOAuthUsrAgtFlow') },
  {
    spec: 'oauthFlows.allowAuthorizationCodeAndCredentials',
    metadataType: 'OauthOidcSettings',
    element: 'oAuthCdCrdtFlowEnable',
    codec: booleanElement('oAuthCdCrdtFlowEnable'),
    note: 'same sense, not inverted: true enables (allows) the flow',
  },
] as const;

/** The rows that map policy and settings values (not the name, installed or blocked rows). */
export function valueRows(metadataType: MetadataFileKind): FieldMapping[] {
  return fieldMap.filter((row) => row.metadataType === metadataType && row.spec !== 'name' && row.spec !== 'installed' && row.spec !== 'blocked');
}

/** The host path of a row's element: the elements above it (`oauthConfig/isAdminApproved` → [oauthConfig]). */
export function hostPath(element: string): string[] {
  return element.split('/').slice(0, -1);
}

/**
 * Elements export never writes into any file, whatever a declaration says. A file export creates
 * holds none of them; a file it edits keeps exactly the ones it had.
 */
export const credentialElements: readonly string[] = ['consumerKey', 'consumerSecret', 'certificate', 'oauthClientCredentialUser', 'clientCredentialsFlowUser'];
