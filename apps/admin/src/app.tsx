export function App() {
  return (
    <main>
      <h1>Weft admin</h1>
      <p>Workspaces, members and roles are managed here.</p>
    </main>
  );
}
