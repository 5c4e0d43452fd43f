package dev.claudemesh.broker.netty.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/** Direct SQL against the test database, to check what the broker made durable. */
final class Sql {

    private Sql() {
    }

    static long count(String jdbcUrl, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    static String string(String jdbcUrl, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    static void execute(String jdbcUrl, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Polls (bounded, 5 s) until {@code sql} counts {@code expected}. */
    static void await(String jdbcUrl, String sql, long expected) throws Exception {
        long deadline = System.currentTimeMillis() + 5_000;
        long last = -1;
        while (System.currentTimeMillis() < deadline) {
            last = count(jdbcUrl, sql);
            if (last == expected) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(sql + " counted " + last + ", expected " + expected);
    }
}
