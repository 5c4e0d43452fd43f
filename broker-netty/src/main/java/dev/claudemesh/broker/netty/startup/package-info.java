/**
 * Starting the broker so that a supervisor can handle its failures: host checks before the database is touched
 * ({@link dev.claudemesh.broker.netty.startup.Preflight}: data directory, bind address, port, TLS files), the first
 * database connection retried with back-off ({@link dev.claudemesh.broker.netty.startup.DatabaseStartup}), and
 * one-line failures with an exit code ({@link dev.claudemesh.broker.netty.startup.StartupException}: 1 retry,
 * 2 configuration).
 */
package dev.claudemesh.broker.netty.startup;
