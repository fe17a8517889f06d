// The tinypool worker of the pool benches: echoes its payload (a string: with runtime
// 'child_process' tinypool talks JSON over the Node IPC channel).
export default (payload) => payload;
