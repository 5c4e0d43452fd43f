package dev.claudemesh.broker.db.writer;

/** {@link PgDurableLogTest} with the serial writer ({@code pipelineDepth} 1): build, commit, callbacks, next. */
class PgDurableLogSerialTest extends PgDurableLogTest {

    @Override
    int depth() {
        return 1;
    }
}
