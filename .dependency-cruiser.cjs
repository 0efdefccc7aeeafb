/** Module boundaries, checked by `npm run lint` (see docs/architecture.md). */
module.exports = {
  forbidden: [
    {
      name: "module-imports-another-module",
      comment: "Modules never import each other: cross-module work goes through workflows or events.",
      severity: "error",
      from: { path: "^src/modules/([^/]+)/" },
      to: { path: "^src/modules/([^/]+)/", pathNot: "^src/modules/$1/" },
    },
    {
      name: "module-imports-the-hub",
      comment: "A module may not import the orchestration hub.",
      severity: "error",
      from: { path: "^src/modules/" },
      to: { path: "^src/orchestration/" },
    },
    {
      name: "platform-imports-modules-or-hub",
      comment: "Platform, kernel and config hold no business rules: they import no module and not the hub.",
      severity: "error",
      from: { path: "^src/(platform|kernel|config)/" },
      to: { path: "^src/(modules|orchestration|app)/" },
    },
    {
      name: "hub-imports-modules",
      comment: "The hub reaches modules only through the gateway's catalog, never by import.",
      severity: "error",
      from: { path: "^src/orchestration/" },
      to: { path: "^src/modules/" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: false,
    exclude: { path: "(^node_modules|\\.test\\.ts$|\\.testing\\.ts$|__fixtures__)" },
  },
};
