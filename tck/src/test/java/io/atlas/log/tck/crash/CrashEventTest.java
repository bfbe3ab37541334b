package io.atlas.log.tck.crash;

import io.atlas.log.tck.crash.CrashEvent.Op;
import io.atlas.log.tck.crash.CrashEvent.Type;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrashEventTest {

    @Test
    void everyEventSurvivesItsLine() {
        List<CrashEvent> events = List.of(
                CrashEvent.of(Type.OPENING), CrashEvent.of(Type.READY), CrashEvent.of(Type.DONE),
                CrashEvent.recovered(1234, "decisions=1..5 checkpoint=none config=none meta=[] crc=1f"),
                CrashEvent.error("boom\nsecond line"),
                CrashEvent.tryOp(Op.DECISION, 42, 7L << 32 | 3, null, 0xffffffffL),
                CrashEvent.ack(Op.DECISION, 42, 7L << 32 | 3, null, false),
                CrashEvent.ack(Op.DECISION, 42, 7L << 32 | 3, null, true),
                CrashEvent.tryOp(Op.CHECKPOINT, 40, 9, null, 5), CrashEvent.ack(Op.CHECKPOINT, 40, 9, null, false),
                CrashEvent.tryOp(Op.COMPACT, 30, -1, null, -1), CrashEvent.ack(Op.COMPACT, 30, -1, null, false),
                CrashEvent.tryOp(Op.TRUNCATE, 38, -1, null, -1), CrashEvent.ack(Op.TRUNCATE, 38, -1, null, false),
                CrashEvent.tryOp(Op.CONFIG, -1, 11, null, 6), CrashEvent.ack(Op.CONFIG, -1, 11, null, false),
                CrashEvent.tryOp(Op.META, -1, 12, "epoch.1", 7), CrashEvent.ack(Op.META, -1, 12, "epoch.1", false),
                CrashEvent.tryOp(Op.SYNC, -1, -1, null, -1), CrashEvent.ack(Op.SYNC, -1, -1, null, false));
        for (CrashEvent e : events) {
            assertEquals(e, CrashEvent.parse(e.toLine()), e.toLine());
        }
        assertEquals("ERROR boom | second line", CrashEvent.error("boom\nsecond line").toLine());
    }

    @Test
    void malformedLinesAreRefusedNamingTheLine() {
        for (String bad : List.of("", "HELLO", "TRY DECISION 1 2", "ACK DECISION x 2", "TRY NOTHING 1", "READY now")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrashEvent.parse(bad));
            assertTrue(e.getMessage().startsWith("not a crash protocol line: '" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void payloadsAreReproducibleAndSizedAsPromised() {
        int small = 0;
        int large = 0;
        for (long seq = 1; seq <= 2000; seq++) {
            int n = Payloads.decision(1, seq, 5).payload().length;
            assertTrue(n >= Payloads.MIN_SIZE && n <= Payloads.MAX_SIZE, "payload size " + n);
            small += n < 256 ? 1 : 0;
            large += n > 16 << 10 ? 1 : 0;
            assertEquals(Payloads.decision(1, seq, 5), Payloads.decision(1, seq, 5));
        }
        assertTrue(small > 200 && large > 200, "sizes spread over 16 B..64 KiB: small " + small + ", large " + large);
        assertTrue(!Payloads.decision(1, 1, 5).equals(Payloads.decision(1, 1, 6)), "another attempt, other bytes");
        assertEquals(77L, Payloads.idOf(Payloads.checkpoint(3, 10, 77)).getAsLong());
        assertEquals(78L, Payloads.idOf(Payloads.metadata(3, "view", 78)).getAsLong());
        assertEquals(79L, Payloads.idOf(Payloads.configuration(3, 79)).getAsLong());
    }
}
