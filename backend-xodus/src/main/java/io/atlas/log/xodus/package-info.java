/**
 * The {@code xodus} storage backend: the log in a JetBrains Xodus 2.0.1 environment in the log
 * directory, found through {@link java.util.ServiceLoader} as
 * {@link io.atlas.log.xodus.XodusStorageProvider}.
 *
 * <p>Files: Xodus' own {@code *.xd} log files and {@code xd.lck}; the engine's {@code atlas-log.lock} and
 * {@code atlas-log.manifest} sit beside them and are left alone. Inside the environment the stores are
 * named {@code atlas.*} (see {@code XodusLogStorage}); Xodus keeps its own under {@code exodus.*}.
 *
 * <p>Durability: commits are not forced; {@code LogStorage.sync()} forces the Xodus log, and the engine
 * calls it as its sync policy says. Options: {@code atlas.log.xodus.<option>}, see {@code XodusOptions}.
 */
package io.atlas.log.xodus;
