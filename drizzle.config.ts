import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the module schemas and committed; never edit one after it lands.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/platform/db/schema.ts',
  out: './drizzle',
  casing: 'snake_case',
});
