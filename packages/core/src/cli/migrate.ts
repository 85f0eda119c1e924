import { loadConfigOrExit } from '../config/config.js';
import { createLogger } from '../observability/logger.js';
import { migrate } from '../store/migrate.js';
import { openDatabase } from '../store/open-store.js';

/** `pnpm migrate`: applies pending migrations to the configured database; exit code 0 or 1. */
async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'chorus-migrate' });
  try {
    const { db, description } = await openDatabase(config, logger);
    try {
      const applied = await migrate(db, logger);
      logger.info({ database: description, applied }, applied.length ? `applied ${applied.length} migration(s)` : 'nothing to migrate');
    } finally {
      await db.close();
    }
    return 0;
  } catch (err) {
    logger.error({ err }, 'migration failed');
    return 1;
  }
}

process.exitCode = await main();
