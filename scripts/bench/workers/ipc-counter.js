// The child of the fork()+IPC bench: answers each number n with n + 1, until the parent disconnects.
process.on('message', (n) => process.send(n + 1));
