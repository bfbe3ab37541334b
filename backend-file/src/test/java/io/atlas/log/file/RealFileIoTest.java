package io.atlas.log.file;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RealFileIo}'s channels and interrupts: a {@link java.nio.channels.FileChannel} closes itself for
 * every thread when a thread whose interrupt status is set uses it, or is interrupted inside a call.
 */
class RealFileIoTest {

    @TempDir
    Path tmp;

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    private static byte[] bytes(int n, int salt) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 13 + salt);
        }
        return b;
    }

    @Test
    void aCallerWithItsInterruptStatusSetIsServedAndKeepsIt() throws IOException {
        Path file = tmp.resolve("f");
        try (FileHandle h = RealFileIo.INSTANCE.open(file, FileIo.OpenMode.CREATE_NEW)) {
            Thread.currentThread().interrupt();
            h.writeFully(bytes(4096, 1), 0, 4096, 0);
            assertTrue(Thread.currentThread().isInterrupted(), "write keeps the interrupt status");
            h.force(false);
            assertTrue(Thread.currentThread().isInterrupted(), "force keeps the interrupt status");
            byte[] back = new byte[4096];
            assertEquals(4096, h.readFully(back, 0, 4096, 0));
            assertArrayEquals(bytes(4096, 1), back);
            assertEquals(4096, h.size());
            RealFileIo.INSTANCE.syncDirectory(tmp);
            assertTrue(Thread.interrupted(), "read, size and syncDirectory keep the interrupt status");
            // and the channel is still open for a thread that was never interrupted
            h.writeFully(bytes(100, 2), 0, 100, 4096);
            h.force(true);
            assertEquals(4196, h.size());
        }
    }

    @Test
    void readersInterruptedInsideCallsDoNotTakeTheFileFromTheWriter() throws Exception {
        Path file = tmp.resolve("f");
        int block = 4096;
        int blocks = 400;
        List<String> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (FileHandle h = RealFileIo.INSTANCE.open(file, FileIo.OpenMode.CREATE_NEW)) {
            h.writeFully(bytes(block, 0), 0, block, 0);
            h.force(false);
            Thread[] readers = new Thread[2];
            for (int r = 0; r < readers.length; r++) {
                readers[r] = new Thread(() -> {
                    byte[] buf = new byte[block];
                    while (!stop.get()) {
                        try {
                            h.readFully(buf, 0, block, 0);
                            if (!Arrays.equals(bytes(block, 0), buf)) {
                                failures.add("a reader read wrong bytes");
                                return;
                            }
                        } catch (IOException e) {
                            failures.add("reader: " + e);
                            return;
                        }
                    }
                }, "interrupted-reader");
                readers[r].setDaemon(true);
                readers[r].start();
            }
            try {
                for (int i = 1; i < blocks; i++) {
                    for (Thread t : readers) {
                        t.interrupt();
                    }
                    h.writeFully(bytes(block, i), 0, block, (long) i * block);
                    h.force(false);
                }
            } finally {
                stop.set(true);
                for (Thread t : readers) {
                    t.join(30_000);
                }
            }
            assertEquals(List.of(), failures);
            byte[] back = new byte[block];
            for (int i = 0; i < blocks; i++) {
                h.readFully(back, 0, block, (long) i * block);
                assertArrayEquals(bytes(block, i), back, "block " + i);
            }
        }
    }

    @Test
    void aForceCutShortByAnInterruptFailsAndSoDoesEveryLaterForce() throws Exception {
        Path file = tmp.resolve("f");
        try (FileHandle h = RealFileIo.INSTANCE.open(file, FileIo.OpenMode.CREATE_NEW)) {
            Thread syncing = Thread.currentThread();
            AtomicBoolean stop = new AtomicBoolean();
            Thread interrupter = new Thread(() -> {
                while (!stop.get()) {
                    syncing.interrupt();
                }
            }, "interrupter");
            interrupter.setDaemon(true);
            IOException failed = null;
            interrupter.start();
            try {
                long deadline = System.nanoTime() + 20_000_000_000L;
                for (int i = 0; failed == null && System.nanoTime() < deadline; i++) {
                    try {
                        h.writeFully(bytes(512, i), 0, 512, (long) i * 512);
                    } catch (IOException e) {
                        continue; // a write interrupted more often than it may reopen; the force is what is checked
                    }
                    try {
                        h.force(false);
                    } catch (IOException e) {
                        failed = e;
                    }
                }
            } finally {
                stop.set(true);
                while (interrupter.isAlive()) {
                    Thread.onSpinWait(); // not join(): it would throw at the interrupter's last interrupts
                }
                Thread.interrupted();
            }
            assertTrue(failed != null, "in 20 s of interrupts no force was cut short; the check proved nothing");
            IOException next = assertThrows(IOException.class, () -> h.force(false),
                    "after a failed force (" + failed + ") a later one must fail too");
            assertTrue(next.getMessage().contains("earlier force"), next.getMessage());
        }
    }

    @Test
    void writesDoneReleasesTheWriteDescriptorUntilTheNextWrite() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd (Linux) to count descriptors");
        Path file = tmp.resolve("f");
        try (FileHandle created = RealFileIo.INSTANCE.open(file, FileIo.OpenMode.CREATE_NEW)) {
            created.writeFully(bytes(100, 1), 0, 100, 0);
        }
        try (FileHandle h = RealFileIo.INSTANCE.open(file, FileIo.OpenMode.READ_WRITE)) {
            long reading = openDescriptors();
            h.writeFully(bytes(100, 2), 0, 100, 100);
            h.force(false);
            assertEquals(reading + 1, openDescriptors(), "writes go through a descriptor of their own");
            h.writesDone();
            assertEquals(reading, openDescriptors(), "writesDone closes it");
            byte[] back = new byte[200];
            assertEquals(200, h.readFully(back, 0, 200, 0), "reads go on");
            h.writeFully(bytes(100, 3), 0, 100, 200);
            h.force(false);
            assertEquals(300, h.size(), "a later write reopens it");
        }
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void aClosedHandleStaysClosed() throws IOException {
        Path file = tmp.resolve("f");
        FileHandle h = RealFileIo.INSTANCE.open(file, FileIo.OpenMode.CREATE_NEW);
        h.close();
        assertThrows(IOException.class, () -> h.writeFully(bytes(10, 0), 0, 10, 0), "a write after close");
        assertThrows(IOException.class, () -> h.force(false), "a force after close");
        assertThrows(IOException.class, () -> h.readFully(new byte[10], 0, 10, 0), "a read after close");
    }
}
