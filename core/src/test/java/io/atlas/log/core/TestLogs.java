package io.atlas.log.core;

import io.atlas.log.Codec;
import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.SeqNo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Small helpers shared by the engine tests. */
final class TestLogs {

    private TestLogs() {
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Decision<byte[]> decision(long seq) {
        return new Decision<>(SeqNo.of(seq), seq / 10, bytes("d" + seq), bytes("payload-" + seq), bytes("p" + seq));
    }

    static List<Decision<byte[]>> decisions(long from, long toInclusive) {
        List<Decision<byte[]>> out = new ArrayList<>();
        for (long s = from; s <= toInclusive; s++) {
            out.add(decision(s));
        }
        return out;
    }

    static PersistentLog<byte[], byte[], byte[]> open(Path dir, FakeStorage storage,
                                                     UnaryOperator<PersistentLogConfig.Builder> settings) {
        return PersistentLogs.open(settings.apply(PersistentLogConfig.builder(dir)).build(),
                storage.provider("fake"), Codec.bytes(), Codec.bytes(), Codec.bytes());
    }

    static PersistentLog<byte[], byte[], byte[]> open(Path dir, FakeStorage storage) {
        return open(dir, storage, b -> b);
    }

    static PersistentLog<byte[], byte[], byte[]> openMemory(Path dir, UnaryOperator<PersistentLogConfig.Builder> settings) {
        return PersistentLogs.openBytes(settings.apply(PersistentLogConfig.builder(dir).backend("memory")).build());
    }

    static List<Long> seqs(List<Decision<byte[]>> ds) {
        return ds.stream().map(d -> d.seqNo().value()).toList();
    }
}
