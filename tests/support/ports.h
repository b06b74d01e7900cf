// PickFreePort: chooses a currently unused TCP port on 127.0.0.1 for tests
// that must tell a real process which port to use (e.g. a PostgreSQL cluster
// or a service that cannot report its own port).
#pragma once

namespace asyncgrpc::testing {

// Binds a TCP socket to 127.0.0.1:0, reads the port the kernel assigned and
// closes the socket again. Never returns the same port twice within one test
// process.
//
// Race: the port is free when returned, but nothing reserves it; another
// process may bind it (or use it as the local port of an outgoing connection)
// before the caller's child does. The window is small, but a child failing to
// bind should be reported clearly rather than mysteriously. Prefer
// letting a service bind port 0 itself and report it (ReadListeningPort)
// where possible.
//
// On failure (no sockets available) records a gtest failure and returns -1.
int PickFreePort();

}  // namespace asyncgrpc::testing
