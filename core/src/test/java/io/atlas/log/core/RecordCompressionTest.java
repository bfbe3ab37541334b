package io.atlas.log.core;

import io.atlas.log.Compression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordCompressionTest {

    /** Hides the optional compression libraries, as if their jars were absent. */
    private static final class WithoutOptionalJars extends ClassLoader {
        WithoutOptionalJars() {
            super(RecordCompressionTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith("com.github.luben.zstd.") || name.startsWith("org.tukaani.xz.")) {
                throw new ClassNotFoundException(name + " (hidden by the test)");
            }
            return super.loadClass(name, resolve);
        }
    }

    @Test
    void missingOptionalArtifactIsNamed() {
        ClassLoader without = new WithoutOptionalJars();
        assertEquals(Optional.of("compression zstd needs com.github.luben:zstd-jni on the class path (an optional "
                        + "dependency of io.atlas:atlas-log-core); add it, or choose another compression"),
                RecordCompression.probe(Compression.ZSTD, without));
        assertEquals(Optional.of("compression xz needs org.tukaani:xz on the class path (an optional "
                        + "dependency of io.atlas:atlas-log-core); add it, or choose another compression"),
                RecordCompression.probe(Compression.XZ, without));
        for (Compression c : new Compression[]{Compression.NONE, Compression.LZ4, Compression.SNAPPY,
                Compression.DEFLATE, Compression.GZIP}) {
            assertEquals(Optional.empty(), RecordCompression.probe(c, without), c.name());
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void everyAlgorithmIsAvailableInThisBuild(Compression c) {
        assertEquals(Optional.empty(), RecordCompression.unavailable(c));
    }

    @Test
    void idsAreStableAndUnique() {
        int[] expected = {0, 1, 2, 3, 4, 5, 6};
        Compression[] order = {Compression.NONE, Compression.LZ4, Compression.SNAPPY, Compression.DEFLATE,
                Compression.GZIP, Compression.ZSTD, Compression.XZ};
        for (int i = 0; i < order.length; i++) {
            assertEquals(expected[i], RecordCompression.id(order[i]));
            assertEquals(Optional.of(order[i]), RecordCompression.fromId(expected[i]));
        }
        assertEquals(Optional.empty(), RecordCompression.fromId(7));
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void decompressionFillsExactlyTheDeclaredSize(Compression c) throws IOException {
        byte[] data = "abcabcabcabcabcabcabcabcabcabcabcabc-0123456789-abcabcabcabc".repeat(20).getBytes();
        byte[] packed = RecordCompression.compress(c, data, 0, data.length);
        byte[] out = new byte[data.length];
        RecordCompression.decompress(c, packed, 0, packed.length, out);
        assertArrayEquals(data, out);
        IOException shorter = assertThrows(IOException.class,
                () -> RecordCompression.decompress(c, packed, 0, packed.length, new byte[data.length + 1]));
        assertTrue(shorter.getMessage().length() > 0);
        assertThrows(IOException.class, () -> RecordCompression.decompress(c, packed, 0, packed.length, new byte[data.length - 1]));
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void garbageIsRefusedNotDecoded(Compression c) {
        byte[] garbage = new byte[200];
        new java.util.Random(1).nextBytes(garbage);
        assertThrows(IOException.class, () -> RecordCompression.decompress(c, garbage, 0, garbage.length, new byte[1000]));
    }
}
