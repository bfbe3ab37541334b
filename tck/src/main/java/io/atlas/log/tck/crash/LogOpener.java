package io.atlas.log.tck.crash;

import io.atlas.log.Codec;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.core.PersistentLogs;
import io.atlas.log.spi.StorageProvider;

import java.lang.reflect.InvocationTargetException;

/** Opens the byte-typed logs the crash kit works with, in the parent and in the child. */
final class LogOpener {

    private LogOpener() {
    }

    static PersistentLog<byte[], byte[], byte[]> open(PersistentLogConfig config, StorageProvider provider) {
        return PersistentLogs.open(config, provider, Codec.bytes(), Codec.bytes(), Codec.bytes());
    }

    /**
     * Opens with a provider instantiated from its class name, or, when {@code providerClass} is empty,
     * with the provider the configuration names, found by {@link java.util.ServiceLoader}.
     *
     * @throws IllegalArgumentException if the class cannot be instantiated with a public no-argument constructor
     */
    static PersistentLog<byte[], byte[], byte[]> open(PersistentLogConfig config, String providerClass) {
        if (providerClass.isEmpty()) {
            return PersistentLogs.openBytes(config);
        }
        return open(config, instantiate(providerClass));
    }

    /** The provider {@code className} names, made with its public no-argument constructor. */
    static StorageProvider instantiate(String className) {
        try {
            Class<?> c = Class.forName(className);
            return (StorageProvider) c.getConstructor().newInstance();
        } catch (ClassNotFoundException | NoSuchMethodException | InstantiationException
                 | IllegalAccessException | InvocationTargetException | ClassCastException e) {
            throw new IllegalArgumentException("cannot create storage provider '" + className
                    + "' in the crash child: expected a public StorageProvider class with a public no-argument"
                    + " constructor on the class path; got " + e, e);
        }
    }

    /**
     * Whether a child process can make this provider from its class name; when not, the child finds
     * it by name through {@link java.util.ServiceLoader}.
     */
    static boolean instantiable(StorageProvider provider) {
        try {
            return instantiate(provider.getClass().getName()).name().equals(provider.name());
        } catch (IllegalArgumentException e) {
            System.getLogger(LogOpener.class.getName()).log(System.Logger.Level.DEBUG,
                    "provider {0} cannot be made from its class name; the crash child will look it up by name: {1}",
                    provider.name(), e.getMessage());
            return false;
        }
    }
}
