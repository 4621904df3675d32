// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["node_modules", "src/generated", ".data", ".scratch", "coverage", "dist"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: { allowDefaultProject: ["scripts/*.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "env",
          message: "Read settings from src/config (parsed once at start).",
        },
      ],
    },
  },
  {
    files: [
      "src/config/**",
      "bin/**",
      "scripts/**",
      "bench/**",
      "test/**",
      "vitest.config.ts",
      "**/*.test.ts",
    ],
    rules: { "no-restricted-properties": "off" },
  },
  {
    files: ["bin/**/*.js", "scripts/**/*.js", "eslint.config.js"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The sandbox's page: plain ES modules run by the browser, not by Node.
    files: ["src/sandbox/ui/**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: globals.browser,
      sourceType: "module",
    },
  },
);
