// The Salesforce metadata files capctl knows, by file-name suffix: the ones it reads access
// policies from, and the ones it recognises and leaves alone (with the reason it gives).

/** A kind of metadata file capctl reads. */
export type MetadataFileKind =
  | 'ConnectedApp'
  | 'ExternalClientApplication'
  | 'ExtlClntAppOauthConfigurablePolicies'
  | 'BlacklistedConsumer'
  | 'ConnectedAppSettings'
  | 'OauthOidcSettings';

/** Where files of one kind live in an sfdx source tree and what their root element is. */
export interface MetadataFileType {
  kind: MetadataFileKind;
  /** The end of the file name (after the component's full name). */
  suffix: string;
  /** The folder of the package directory the files live in. */
  folder: string;
  /** The root element (the metadata type name). */
  rootElement: MetadataFileKind;
}

/** Every kind of file capctl reads, in the order it reads them. */
export const metadataFileTypes: readonly MetadataFileType[] = [
  { kind: 'ConnectedApp', suffix: '.connectedApp-meta.xml', folder: 'connectedApps', rootElement: 'ConnectedApp' },
  { kind: 'ExternalClientApplication', suffix: '.eca-meta.xml', folder: 'externalClientApps', rootElement: 'ExternalClientApplication' },
  {
    kind: 'ExtlClntAppOauthConfigurablePolicies',
    suffix: '.ecaOauthPlcy-meta.xml',
    folder: 'extlClntAppOauthPolicies',
    rootElement: 'ExtlClntAppOauthConfigurablePolicies',
  },
  { kind: 'BlacklistedConsumer', suffix: '.blacklistedConsumer-meta.xml', folder: 'blacklistedConsumers', rootElement: 'BlacklistedConsumer' },
  { kind: 'ConnectedAppSettings', suffix: 'ConnectedApp.settings-meta.xml', folder: 'settings', rootElement: 'ConnectedAppSettings' },
  { kind: 'OauthOidcSettings', suffix: 'OauthOidc.settings-meta.xml', folder: 'settings', rootElement: 'OauthOidcSettings' },
];

/**
 * External client app files that hold nothing capctl manages, with the reason it gives. They are
 * never opened: the global OAuth settings hold the consumer key and secret.
 */
export const ignoredFileTypes: readonly { suffix: string; reason: string }[] = [
  { suffix: '.ecaGlblOauth-meta.xml', reason: 'global OAuth settings of an external client app (callback URL, consumer key and secret): not read, nothing capctl manages' },
  { suffix: '.ecaOauth-meta.xml', reason: 'OAuth settings of an external client app (scopes): nothing capctl manages' },
  { suffix: '.ecaPlcy-meta.xml', reason: 'app policies of an external client app (plugins, start page): nothing capctl manages' },
  { suffix: '.ecaOauthSecurity-meta.xml', reason: 'OAuth security settings of an external client app: nothing capctl manages' },
];

/** The reason for any other `*.eca*-meta.xml` file. */
export const otherEcaFileReason = 'an external client app file that holds no access policy: nothing capctl manages';

/** fast-glob patterns of every file capctl looks at in an sfdx tree. */
export const metadataGlobs: readonly string[] = [
  '**/*.connectedApp-meta.xml',
  '**/*.eca*-meta.xml',
  '**/*.blacklistedConsumer-meta.xml',
  '**/ConnectedApp.settings-meta.xml',
  '**/OauthOidc.settings-meta.xml',
];

/** Folders never searched. */
export const metadataGlobIgnore: readonly string[] = ['**/node_modules/**', '**/.git/**', '**/.sf/**', '**/.sfdx/**'];

/** What a file is, by its name: a type capctl reads, a file it ignores (with why), or neither. */
export function classifyMetadataFile(fileName: string): { type: MetadataFileType } | { ignored: string } | undefined {
  const base = fileName.split('/').pop() ?? fileName;
  for (const type of metadataFileTypes) {
    if (type.folder === 'settings' ? base === type.suffix : base.endsWith(type.suffix) && base.length > type.suffix.length) return { type };
  }
  for (const ignored of ignoredFileTypes) if (base.endsWith(ignored.suffix)) return { ignored: ignored.reason };
  if (/\.eca[A-Za-z]*-meta\.xml$/.test(base)) return { ignored: otherEcaFileReason };
  return undefined;
}

/** The component's full name (API name) from its file name: `Slack.connectedApp-meta.xml` → `Slack`. */
export function fullNameOf(fileName: string, type: MetadataFileType): string {
  const base = fileName.split('/').pop() ?? fileName;
  return type.folder === 'settings' ? type.suffix.split('.')[0]! : base.slice(0, base.length - type.suffix.length);
}

/** A metadata full name for a new component named `label`: letters, digits and single underscores. */
export function fullNameFor(label: string): string {
  const name = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 80)
    .replace(/_+$/, '');
  if (name === '') return 'App';
  return /^[A-Za-z]/.test(name) ? name : `App_${name}`;
}
