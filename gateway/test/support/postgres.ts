// A throwaway PostgreSQL cluster for the test suite (temp dir, loopback port, non-root
// account); one cluster per test run, one fresh database per gateway.
export {
  postgresAvailable,
  type ScratchPostgres,
  startScratchPostgres as startPostgres,
} from '../../src/db/scratch-postgres.js';
