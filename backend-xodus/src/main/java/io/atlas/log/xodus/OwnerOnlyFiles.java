package io.atlas.log.xodus;

import jetbrains.exodus.env.EnvironmentImpl;
import jetbrains.exodus.io.Block;
import jetbrains.exodus.io.DataReader;
import jetbrains.exodus.io.DataWriter;
import jetbrains.exodus.log.AbstractBlockListener;
import jetbrains.exodus.log.LogUtil;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Keeps the log directory and Xodus' files owner-only (G11). Xodus creates its {@code .xd} files and
 * {@code xd.lck} with the process umask (usually {@code rw-r--r--}); this takes the group and other bits
 * away from those present at open and from each file Xodus creates later, through Xodus' block listener.
 * On file systems without POSIX permissions it does nothing.
 */
final class OwnerOnlyFiles extends AbstractBlockListener {

    private static final System.Logger LOG = System.getLogger(OwnerOnlyFiles.class.getName());
    private static final Set<PosixFilePermission> OWNER = EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    static final String LOCK_FILE = "xd.lck";

    private final Path dir;

    private OwnerOnlyFiles(Path dir) {
        this.dir = dir;
    }

    /** Creates the directory {@code rwx------} when absent, and forces its parent so the entry survives a crash. */
    static void createDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (Files.getFileStore(existingAncestor(dir)).supportsFileAttributeView(PosixFileAttributeView.class)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(EnumSet.of(
                    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
        } else {
            Files.createDirectories(dir);
        }
        Path parent = dir.getParent();
        if (parent != null) {
            try (FileChannel ch = FileChannel.open(parent, StandardOpenOption.READ)) {
                ch.force(true);
            }
        }
    }

    private static Path existingAncestor(Path dir) {
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p == null ? dir.getRoot() : p;
    }

    /** Restricts the Xodus files now in {@code dir} and every one Xodus creates from now on. */
    static void watch(EnvironmentImpl env, Path dir) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir,
                p -> LogUtil.isLogFileName(p.getFileName().toString()) || p.getFileName().toString().equals(LOCK_FILE))) {
            for (Path file : files) {
                restrict(file);
            }
        }
        env.getLog().addBlockListener(new OwnerOnlyFiles(dir));
    }

    /** Drops the group and other permissions of {@code file}, keeping the owner's (Xodus makes full files read-only). */
    static void restrict(Path file) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        Set<PosixFilePermission> current = view.readAttributes().permissions();
        Set<PosixFilePermission> owner = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : current) {
            if (OWNER.contains(p)) {
                owner.add(p);
            }
        }
        if (!owner.equals(current)) {
            view.setPermissions(owner);
        }
    }

    @Override
    public void blockCreated(Block block, DataReader reader, DataWriter writer) {
        // Xodus passes a placeholder block; the file, already created, is named after its address
        Path file = dir.resolve(LogUtil.getLogFilename(block.getAddress()));
        try {
            restrict(file);
        } catch (IOException e) {
            // the write that created the file must not fail for this; the directory is owner-only anyway
            LOG.log(System.Logger.Level.WARNING, "xodus: cannot make " + file + " owner-only: " + e.getMessage(), e);
        }
    }
}
