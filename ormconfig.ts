import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config';
import { loadDotenv } from './src/config/dotenv';
import { dataSourceOptions } from './src/database/data-source-options';

/** The DataSource used by the TypeORM CLI (`npm run migration:run`, `migration:generate`). */
loadDotenv();
export default new DataSource(dataSourceOptions(loadConfig().database));
