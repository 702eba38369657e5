import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config';
import { dataSourceOptions } from './src/database/data-source-options';

/** The DataSource used by the TypeORM CLI (`npm run migration:run`, `migration:generate`). */
export default new DataSource(dataSourceOptions(loadConfig().database));
