// The same package from a CommonJS TypeScript file.
import processSpawner = require('process-spawner');

const child: processSpawner.Subprocess = processSpawner.spawn('true');
child.on('exit', (code) => console.log(code === null ? 'signalled' : code + 1));
