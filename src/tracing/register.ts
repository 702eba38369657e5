/**
 * main.ts's FIRST import: when tracing is on, its instrumentations must patch http, mysql2 and
 * ioredis before anything requires them. `.env` is loaded here already, so it can turn tracing on.
 * The OTEL_* variables are the SDK's own (not ours), read here and by the SDK, not by
 * src/config/app-config.ts.
 */
import { loadDotenv } from '../config/dotenv';
import { startTracingIfConfigured } from './tracing';

loadDotenv();
startTracingIfConfigured(process.env);
