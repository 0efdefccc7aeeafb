import js from "@eslint/js";
import tseslint from "typescript-eslint";

const moduleNames = [
  "invoicing",
  "followup",
  "payments",
  "analytics",
  "milestones",
  "customers",
  "legal",
  "communications",
  "integrations",
];

/** A module may import only itself, kernel and platform; never another module or the hub. */
const moduleBoundaries = moduleNames.map((name) => ({
  files: [`src/modules/${name}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            regex: `(^|/)modules/(?!${name}(/|$))`,
            message: "Modules never import each other; cross-module work goes through workflows or events.",
          },
          { regex: "(^|/)orchestration(/|$)", message: "A module may not import the orchestration hub." },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".prapti/", "web/dist/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    files: ["src/platform/**/*.ts", "src/kernel/**/*.ts", "src/config/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "(^|/)modules(/|$)", message: "Platform and kernel may not import modules." },
            { regex: "(^|/)orchestration(/|$)", message: "Platform and kernel may not import the hub." },
          ],
        },
      ],
    },
  },
  ...moduleBoundaries,
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: "readonly", console: "readonly", URL: "readonly" },
    },
  },
);
