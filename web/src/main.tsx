import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './app';
import { apiConfig } from './config/env';
import './styles/index.css';

function ConfigError({ error }: { error: string }) {
  return (
    <main className="config-error" role="alert">
      <h1>MarchProxy console cannot start</h1>
      <p>{error}</p>
      <p>
        Set <code>VITE_API_URL</code> to the control-plane URL, e.g. <code>http://127.0.0.1:8000</code>, or leave it
        unset when the console is served by <code>marchproxy serve</code>.
      </p>
    </main>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>{apiConfig.ok ? <App /> : <ConfigError error={apiConfig.error} />}</StrictMode>,
);
