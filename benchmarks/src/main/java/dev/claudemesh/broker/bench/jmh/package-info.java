/**
 * JMH benchmarks of broker-core's hot paths ({@code benchmarks.jar}); {@code RoutingBenchmark} and
 * {@code WriterBatchBenchmark} live in the packages of the package-private classes they measure. Run with
 * {@code -prof gc} so that every result has B/op. See docs/BENCHMARKS.md.
 */
package dev.claudemesh.broker.bench.jmh;
