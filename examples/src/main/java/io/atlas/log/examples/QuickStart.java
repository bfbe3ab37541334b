package io.atlas.log.examples;

import io.atlas.log.Codec;
import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.RecoveryState;
import io.atlas.log.SeqNo;
import io.atlas.log.core.PersistentLogs;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The README's quick start: a replica stores decisions, checkpoints, compacts, "crashes" (closes
 * without warning its state machine), reopens from a properties file and recovers.
 *
 * <p>Run with {@code mvn -B -ntp -Dmaven.test.skip=true -Pexample verify}, or with a directory argument.
 */
public final class QuickStart {

    private QuickStart() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "quick-start-log").toAbsolutePath();
        deleteRecursively(dir);

        // 1. Configuration: a properties file selects the file backend and the sync policy.
        Files.createDirectories(dir.getParent());
        Path props = dir.resolveSibling(dir.getFileName() + ".properties");
        try (Writer w = Files.newBufferedWriter(props, StandardCharsets.UTF_8)) {
            w.write("atlas.log.dir=" + dir.getFileName() + "\n");
            w.write("atlas.log.backend=file\n");
            w.write("atlas.log.sync=every-write\n");
            w.write("atlas.log.compaction=on-checkpoint\n");
            w.write("atlas.log.compaction.retain=10\n");
        }
        PersistentLogConfig config = PersistentLogConfig.load(props);

        // 2. A replica's life: 250 decisions, a checkpoint every 100, compaction below each.
        try (PersistentLog<String, String, String> log =
                     PersistentLogs.open(config, Codec.utf8(), Codec.utf8(), Codec.utf8())) {
            log.storeConfiguration("replicas=r1,r2,r3,r4 f=1");
            log.storeMetadata("view", new byte[] {0, 0, 0, 7});
            StringBuilder state = new StringBuilder();
            for (long seq = 1; seq <= 250; seq++) {
                String op = "set x" + seq % 10 + "=" + seq;
                log.storeDecision(Decision.of(SeqNo.of(seq), op));   // durable when it returns
                state.setLength(0);
                state.append("applied up to ").append(seq);
                if (seq % 100 == 0) {
                    log.storeCheckpoint(SeqNo.of(seq), state.toString());
                }
            }
            System.out.printf("stored decisions %s..%s, last checkpoint at %s%n",
                    log.firstSeqNo().orElseThrow(), log.lastSeqNo().orElseThrow(),
                    log.retrieveLastCheckpoint().orElseThrow().seqNo());
            System.out.printf("stats: %s%n", log.stats());
        }

        // 3. After a restart: reopen from the same properties file and recover.
        try (PersistentLog<String, String, String> log =
                     PersistentLogs.open(PersistentLogConfig.load(props), Codec.utf8(), Codec.utf8(), Codec.utf8())) {
            RecoveryState<String, String, String> recovered = log.recover();
            System.out.printf("recovered checkpoint at %s (\"%s\"), %d decisions after it (%s..%s), configuration \"%s\"%n",
                    recovered.checkpoint().orElseThrow().seqNo(),
                    recovered.checkpoint().orElseThrow().state(),
                    recovered.decisionsAfterCheckpoint().size(),
                    recovered.decisionsAfterCheckpoint().get(0).seqNo(),
                    recovered.decisionsAfterCheckpoint().get(recovered.decisionsAfterCheckpoint().size() - 1).seqNo(),
                    recovered.configuration().orElseThrow());
            System.out.printf("view metadata: %d, verified %d records%n",
                    log.retrieveMetadata("view").orElseThrow()[3], log.verify());
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
