import { Link } from 'react-router-dom';

export default function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page here. Go to the <Link to="/dashboard">dashboard</Link>.
      </p>
    </section>
  );
}
