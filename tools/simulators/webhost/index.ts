/** The local customer web host's public surface (tests, `npm start`). */
export { startWebHost, type RunningWebHost, type WebHostOptions, type WebHostRequest } from './server';
export { hostName, type Scheme } from './sites';
