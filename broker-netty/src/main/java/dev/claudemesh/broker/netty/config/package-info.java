/**
 * The broker's settings, each described once ({@link dev.claudemesh.broker.netty.config.Setting}): environment
 * variable, flag, default, range, unit, secret or not, help. The catalog ({@link
 * dev.claudemesh.broker.netty.config.Settings}) is the single source of the parsing, {@code --help}, the startup
 * description and the redacted {@code toString()} of {@code BrokerConfig}; {@link
 * dev.claudemesh.broker.netty.config.BuildInfo} carries what the build recorded (the commit).
 */
package dev.claudemesh.broker.netty.config;
