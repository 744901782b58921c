// Every diagnostic code, in one place: a code never changes meaning once released.
// Ranges: CAP1xx desired-state loading, CAP2xx org store, CAP3xx plan rules,
// CAP4xx apply and audit, CAP5xx metadata import and export. Risk rules (SPEC §14) have ids of
// their own, CAPR001…, in src/plan/risk/.

/** Diagnostic codes and what each one means. */
export const Codes = {
  // --- CAP1xx: loading the desired state (src/load) ---
  yamlSyntax: 'CAP101',
  duplicateKey: 'CAP102',
  unknownField: 'CAP103',
  wrongType: 'CAP104',
  badEnum: 'CAP105',
  missingField: 'CAP106',
  badValue: 'CAP107',
  unknownKind: 'CAP108',
  badApiVersion: 'CAP109',
  badOrgSlug: 'CAP110',
  duplicateApp: 'CAP111',
  duplicateOrgSettings: 'CAP112',
  duplicateRevocation: 'CAP113',
  issuedBeforeFuture: 'CAP114',
  badInstant: 'CAP115',
  fileTooLarge: 'CAP116',
  aliasLimit: 'CAP117',
  notUtf8: 'CAP118',
  emptyFile: 'CAP119',
  noFiles: 'CAP120',
  notAMapping: 'CAP121',
  unreadableFile: 'CAP122',
  skippedFile: 'CAP123',
  tooDeeplyNested: 'CAP124',
  symlinkLoop: 'CAP125',
  exceptionTooLong: 'CAP126',
  // capctl.yaml (src/load/read-config.ts): any problem of the file, at its line and column.
  badConfig: 'CAP127',

  // --- CAP2xx: the org store (src/store) ---
  storeMalformed: 'CAP201',
  storeJsonSyntax: 'CAP202',
  storeSchema: 'CAP203',
  storeUnknownSessionUser: 'CAP204',
  storeAppIdMismatch: 'CAP205',
  storeDuplicateAppName: 'CAP206',
  storeTooManySessions: 'CAP207',
  storePoliciesMismatch: 'CAP208',
  storeUnknownProfile: 'CAP209',
  storeUnknownPermissionSet: 'CAP210',
  storeOrgNameMismatch: 'CAP211',
  storeDuplicateUser: 'CAP212',
  storeBadLedger: 'CAP213',
  storeNotUtf8: 'CAP214',
  storeMissingFile: 'CAP215',
  storeUnreadable: 'CAP216', // an entry capctl cannot read, or not the kind expected (a folder for a file)
  storeOutsidePath: 'CAP217', // a path recorded in the store (a journal's) that is not of the store's layout
  storeDuplicateKey: 'CAP218',

  // --- CAP3xx: plan rules (src/plan) ---
  appNotInOrg: 'CAP301', // R8
  appIdMismatch: 'CAP302',
  appKindMismatch: 'CAP303',
  unknownProfile: 'CAP304', // R7
  unknownPermissionSet: 'CAP305', // R7
  assignmentsNeedAdminApproved: 'CAP306', // R7
  policiesOnUninstalledApp: 'CAP307', // R5
  revocationUnknownApp: 'CAP308',
  revocationUnknownUser: 'CAP309',
  notAllowlistedUnblocked: 'CAP310', // R2
  allowlistingUnavailable: 'CAP311', // R3
  allowlistingCutsOff: 'CAP312', // R3
  unmanagedApp: 'CAP313',
  deniedAttempts: 'CAP314', // R4
  revocationCovered: 'CAP315', // R9
  revokedCanReauthorize: 'CAP316', // R9
  usernamePasswordFlowOpen: 'CAP317', // R10
  guardProtectedApp: 'CAP318', // R13
  guardMaxSessionsEnded: 'CAP319', // R13
  guardUnknownApp: 'CAP320', // R13
  actorUnknown: 'CAP321',
  actorInactive: 'CAP322',
  actorLacksPermissions: 'CAP323',
  noDeclarations: 'CAP324',
  orgNotInStore: 'CAP325', // a document's org: is not an org of the store
  riskCannotJudge: 'CAP326',
  riskExceptionUnused: 'CAP327',
  riskExceptionExpiring: 'CAP328',
  manualInstallDefers: 'CAP340', // a live org's app known only by name: its policies wait for its install

  // --- CAP4xx: apply and audit (src/apply, src/audit) ---
  applyLacksPermissions: 'CAP401',

  // --- CAP5xx: metadata import and export (src/metadata, src/import) ---
  metadataNotReadable: 'CAP501',
  metadataNotXml: 'CAP502',
  metadataUnexpectedRoot: 'CAP503',
  metadataNotOauth: 'CAP504',
  metadataNothingManaged: 'CAP505',
  metadataBadValue: 'CAP506',
  metadataMissingLabel: 'CAP507',
  metadataDuplicateApp: 'CAP508',
  metadataAssignmentsDropped: 'CAP509',
  metadataBlockedByAllowlisting: 'CAP510',
  metadataNoPolicies: 'CAP511',
  metadataOrphanPolicies: 'CAP512',
  metadataBlockNamesNoApp: 'CAP513',
  exportNotExpressible: 'CAP520',
  exportPlaceholderContact: 'CAP521',
  exportKindMismatch: 'CAP522',
  exportUnblockNeedsRemoval: 'CAP523',
  importOmittedField: 'CAP530',
} as const;

/** A diagnostic code (`CAP` and three digits). */
export type Code = (typeof Codes)[keyof typeof Codes];
