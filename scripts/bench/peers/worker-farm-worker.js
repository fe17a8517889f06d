// The worker-farm worker of the pool benches: echoes its payload (a string: worker-farm talks
// JSON over the Node IPC channel).
module.exports = (payload, callback) => callback(null, payload);
