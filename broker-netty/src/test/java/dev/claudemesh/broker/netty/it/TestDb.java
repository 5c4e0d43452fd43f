package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.db.testing.TestDatabases;

/** A fresh real PostgreSQL database per call (see broker-db's TestDatabases), as a DATABASE_URL. */
final class TestDb {

    private TestDb() {
    }

    static String newDatabaseUrl() {
        var db = TestDatabases.newDatabase();
        String url = db.jdbcUrl();
        String sep = url.contains("?") ? "&" : "?";
        return url + sep + "user=" + db.user() + (db.password() == null || db.password().isEmpty() ? ""
                : "&password=" + db.password());
    }
}
