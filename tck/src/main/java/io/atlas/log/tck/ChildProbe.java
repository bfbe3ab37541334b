package io.atlas.log.tck;

import io.atlas.log.Codec;
import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.SeqNo;
import io.atlas.log.core.PersistentLogs;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The program {@link PersistentLogTck} runs in a child JVM to open a log from another process
 * (guarantees G7 and G1). Not an API: its arguments may change with the kit.
 *
 * <p>Arguments: {@code RESULT_FILE MODE LOG_DIR PROVIDER_CLASS PROVIDER_NAME MAX_SEGMENT_SIZE [OPTION=VALUE...]}
 * with {@code MODE} {@code lock} (open and close) or {@code read} (open, summarize the decisions, close).
 * The outcome goes to {@code RESULT_FILE} as one line: {@code OPENED ...}, {@code EXCEPTION <class> <message>}
 * or {@code NO_PROVIDER <reason>}.
 */
public final class ChildProbe {

    static final String OPENED = "OPENED";
    static final String EXCEPTION = "EXCEPTION";
    static final String NO_PROVIDER = "NO_PROVIDER";

    private ChildProbe() {
    }

    /** Entry point of the child JVM; exit status 0 when a result was written, 2 otherwise. */
    public static void main(String[] args) throws IOException {
        if (args.length < 6) {
            throw new IllegalArgumentException("usage: ChildProbe RESULT_FILE lock|read LOG_DIR PROVIDER_CLASS "
                    + "PROVIDER_NAME MAX_SEGMENT_SIZE [OPTION=VALUE...]; got " + args.length + " arguments");
        }
        Path result = Path.of(args[0]);
        String mode = args[1];
        Path dir = Path.of(args[2]);
        String name = args[4];
        StorageProvider provider;
        try {
            provider = provider(args[3], name);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Files.writeString(result, NO_PROVIDER + " " + oneLine(e.toString()), StandardCharsets.UTF_8);
            return;
        }
        PersistentLogConfig.Builder b = PersistentLogConfig.builder(dir)
                .backend(name)
                .maxSegmentSize(Long.parseLong(args[5]))
                .cacheSize(0);
        for (int i = 6; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            b.option(name + "." + args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        String outcome;
        try (PersistentLog<byte[], String, String> log = PersistentLogs.open(b.build(), provider,
                Codec.bytes(), Codec.utf8(), Codec.utf8())) {
            outcome = "read".equals(mode) ? OPENED + " " + summary(log) : OPENED;
        } catch (RuntimeException e) {
            outcome = EXCEPTION + " " + e.getClass().getName() + " " + oneLine(String.valueOf(e.getMessage()));
        }
        Files.writeString(result, outcome, StandardCharsets.UTF_8);
    }

    /**
     * {@code first=.. last=.. count=.. crc=..} over every stored decision (seq, view, digest, payload,
     * proof); the parent computes the same over its own log.
     */
    static String summary(PersistentLog<byte[], ?, ?> log) {
        Optional<SeqNo> first = log.firstSeqNo();
        Optional<SeqNo> last = log.lastSeqNo();
        CRC32C crc = new CRC32C();
        long[] count = {0};
        if (first.isPresent()) {
            java.util.function.Consumer<Decision<byte[]>> add = d -> {
                ByteBuffer head = ByteBuffer.allocate(16).putLong(d.seqNo().value()).putLong(d.view());
                crc.update(head.array());
                crc.update(d.digest());
                crc.update(d.payload());
                crc.update(d.proof());
                count[0]++;
            };
            log.retrieveDecision(first.get()).ifPresent(add);
            log.forEachDecisionAfter(first.get(), add);
        }
        return "first=" + first.map(SeqNo::value).orElse(-1L) + " last=" + last.map(SeqNo::value).orElse(-1L)
                + " count=" + count[0] + " crc=" + Long.toHexString(crc.getValue());
    }

    private static StorageProvider provider(String className, String name) throws ReflectiveOperationException {
        try {
            Class<?> type = Class.forName(className);
            Constructor<?> c = type.getDeclaredConstructor();
            c.setAccessible(true);
            return (StorageProvider) c.newInstance();
        } catch (ReflectiveOperationException | RuntimeException e) {
            StorageProvider found = Kit.findProvider(name);
            if (found == null) {
                throw e;
            }
            return found;
        }
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }
}
