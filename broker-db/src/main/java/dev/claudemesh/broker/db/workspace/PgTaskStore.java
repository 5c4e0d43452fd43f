package dev.claudemesh.broker.db.workspace;

import dev.claudemesh.broker.core.tasks.NewTask;
import dev.claudemesh.broker.core.tasks.Task;
import dev.claudemesh.broker.core.tasks.TaskStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.TASK;

/**
 * {@link TaskStore} over {@code mesh.task} (PROTOCOL-MESH §6.5). A claim is one statement,
 * {@code UPDATE … SET status = 'claimed' … WHERE id = ? AND mesh_id = ? AND status = 'open'}: PostgreSQL row locking
 * makes a second concurrent claimer re-check {@code status} after the first committed, so exactly one of them updates
 * a row. A create runs in one transaction under the mesh's task lock: done tasks past the retention are deleted, and
 * at the cap the oldest done tasks make room, or nothing is written. Blocking; thread-safe.
 */
public final class PgTaskStore implements TaskStore {

    static final String OPEN = "open";
    static final String CLAIMED = "claimed";
    static final String DONE = "done";

    private final DSLContext dsl;

    public PgTaskStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public Create create(String meshId, NewTask task, int maxTasks, long doneBeforeMs) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Sql.lockMesh(tx, Sql.TASK_LOCK, meshId);
            Condition ofMesh = TASK.MESH_ID.eq(meshId);
            Condition done = ofMesh.and(TASK.STATUS.eq(DONE));
            tx.deleteFrom(TASK).where(done.and(TASK.COMPLETED_AT.lt(Sql.time(doneBeforeMs)))).execute();
            int total = tx.fetchCount(TASK, ofMesh);
            if (total >= maxTasks) {
                int needed = total - maxTasks + 1;
                if (tx.fetchCount(TASK, done) < needed) {
                    return Create.FULL;
                }
                tx.deleteFrom(TASK).where(TASK.ID.in(DSL.select(TASK.ID).from(TASK).where(done)
                        .orderBy(TASK.COMPLETED_AT, TASK.ID).limit(needed))).execute();
            }
            tx.insertInto(TASK)
                    .set(TASK.ID, task.id()).set(TASK.MESH_ID, meshId).set(TASK.TITLE, task.title())
                    .set(TASK.ASSIGNEE, task.assignee()).set(TASK.PRIORITY, task.priority()).set(TASK.STATUS, OPEN)
                    .set(TASK.TAGS, task.tags().toArray(String[]::new)).set(TASK.CREATED_BY_NAME, task.createdByName())
                    .set(TASK.CREATED_AT, Sql.time(task.createdAtMs()))
                    .execute();
            return Create.STORED;
        });
    }

    @Override
    public boolean claim(String meshId, String taskId, String presenceId, String memberName, long nowMs) {
        return dsl.update(TASK)
                .set(TASK.STATUS, CLAIMED).set(TASK.CLAIMED_BY_PRESENCE, presenceId)
                .set(TASK.CLAIMED_BY_NAME, memberName).set(TASK.CLAIMED_AT, Sql.time(nowMs))
                .where(TASK.ID.eq(taskId), TASK.MESH_ID.eq(meshId), TASK.STATUS.eq(OPEN))
                .execute() == 1;
    }

    @Override
    public boolean complete(String meshId, String taskId, String result, long nowMs) {
        return dsl.update(TASK)
                .set(TASK.STATUS, DONE).set(TASK.RESULT, result).set(TASK.COMPLETED_AT, Sql.time(nowMs))
                .where(TASK.ID.eq(taskId), TASK.MESH_ID.eq(meshId))
                .execute() == 1;
    }

    @Override
    public List<Task> list(String meshId, String status, String assignee, int limit) {
        List<Condition> where = new ArrayList<>(3);
        where.add(TASK.MESH_ID.eq(meshId));
        if (status != null) {
            where.add(TASK.STATUS.eq(status));
        }
        if (assignee != null) {
            where.add(TASK.ASSIGNEE.eq(assignee));
        }
        return dsl.select(TASK.ID, TASK.TITLE, TASK.ASSIGNEE, TASK.CLAIMED_BY_NAME, TASK.STATUS, TASK.PRIORITY,
                        TASK.CREATED_BY_NAME, TASK.TAGS, TASK.CREATED_AT)
                .from(TASK).where(where)
                .orderBy(TASK.CREATED_AT.desc(), TASK.ID.desc())
                .limit(limit)
                .fetch(r -> new Task(r.value1(), r.value2(), r.value3(), r.value4(), r.value5(), r.value6(),
                        r.value7(), Arrays.asList(r.value8()), Sql.millis(r.value9())));
    }
}
