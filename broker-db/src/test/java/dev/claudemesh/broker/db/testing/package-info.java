/**
 * Test support shipped in broker-db's test-jar: {@link dev.claudemesh.broker.db.testing.TestDatabases} picks the
 * real PostgreSQL that integration tests use and hands out fresh, migrated databases on it
 * ({@link dev.claudemesh.broker.db.testing.TestDatabase}).
 */
package dev.claudemesh.broker.db.testing;
